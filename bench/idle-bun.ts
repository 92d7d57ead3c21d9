// A bare, idle Bun process: the baseline beside lazarus's memory and idle cost. It
// holds one timer (as lazarus does, to stay alive) and does nothing else.
setInterval(() => {}, 2 ** 31 - 1);
