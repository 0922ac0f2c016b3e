// An aggregator with a time-out (Akka's StatsService pattern): ask several actors, answer once all have
// answered, or, given `withinMs`, with the answers in by then. A child busy in a long await must not hold up a
// snapshot; a flush, which must hear from everyone, waits without a time-out.

export function gather<T>(
  count: number,
  ask: (reply: (answer: T) => void) => void,
  done: (answers: T[]) => void,
  withinMs?: number,
): void {
  const answers: T[] = [];
  if (count === 0) return done(answers);
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    done(answers);
  };
  const timer = withinMs === undefined ? undefined : setTimeout(finish, withinMs);
  ask((answer) => {
    if (finished) return;
    answers.push(answer);
    if (answers.length === count) finish();
  });
}
