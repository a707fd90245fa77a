const EventSource = require('eventsource');

function follow(chatId, log) {
  const es = new EventSource('http://localhost:3000/api/sync/' + chatId + '/events?start=1');
  es.addEventListener('progress', (e) => log(JSON.parse(e.data).progress));
  es.addEventListener('complete', () => es.close());
  return () => es.close();
}

module.exports = { follow };
