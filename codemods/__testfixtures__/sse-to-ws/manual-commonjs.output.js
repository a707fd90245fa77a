const EventSource = require('eventsource');

function follow(chatId, log) {
  /* wsmig-codemod: this file is a CommonJS module (require/module.exports) and the codemod writes ES imports: move it to ES modules and run again, or convert the site by hand */
  const es = new EventSource('http://localhost:3000/api/sync/' + chatId + '/events?start=1');
  es.addEventListener('progress', (e) => log(JSON.parse(e.data).progress));
  es.addEventListener('complete', () => es.close());
  return () => es.close();
}

module.exports = { follow };
