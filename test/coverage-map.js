// Maps each test file to the source file(s) whose coverage it answers for.
// test/<path>.ts covers src/<path>.ts; end-to-end tests (test/e2e/**) cover nothing,
// so a broad test cannot hide an untested unit.
module.exports = (testFile) => {
  const file = testFile.replace(/\\/g, '/');
  if (file.startsWith('test/e2e/')) return null;
  const m = /^test\/(.+)\.ts$/.exec(file);
  return m ? `src/${m[1]}.ts` : null;
};
