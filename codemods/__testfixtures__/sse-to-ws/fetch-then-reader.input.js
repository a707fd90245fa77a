export function watchBuild(buildId, onLine) {
  return fetch('/builds/' + buildId + '/events', { headers: { Accept: 'text/event-stream' } })
    .then((res) => {
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      const pump = () =>
        reader.read().then(({ done, value }) => {
          if (done) return;
          decoder
            .decode(value)
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .forEach((line) => onLine(line.slice(5).trim()));
          return pump();
        });
      return pump();
    });
}
