#!/usr/bin/env node
import EventSource from 'eventsource';

const [, , service = 'api'] = process.argv;
const token = process.env.LOGS_TOKEN;
if (!token) {
  console.error('LOGS_TOKEN is not set');
  process.exit(1);
}

const es = new EventSource(`https://logs.internal.example.com/services/${service}/tail`, {
  headers: { Authorization: `Bearer ${token}` },
});

es.onmessage = (event) => console.log(event.data);
es.onerror = (error) => {
  console.error('stream error', error);
};
process.on('SIGINT', () => {
  es.close();
  process.exit(0);
});
