# Stand-in for node:20-bookworm-slim: the machine's own Node.js 20 and npm on a debootstrapped bookworm.
# Differs from the official image: no yarn, no `node` user, Node's exact patch version is the machine's.
FROM rinha-standin/bookworm:latest
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY machine-ca.crt /usr/local/share/rinha/machine-ca.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
# Where this machine reaches the npm registry through a certificate authority of its own, builds
# inside the image trust it too (the official image does not carry this; nor does the project's Dockerfile).
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/rinha/machine-ca.crt \
    NPM_CONFIG_CAFILE=/usr/local/share/rinha/machine-ca.crt
CMD ["node"]
