import { apiUrl } from './urls';

export function watchDashboard(orgId: string, widgets: string[], render: (widget: string, value: number) => void) {
  const query = new URLSearchParams({ widgets: widgets.join(',') });
  const streamUrl = apiUrl(`/orgs/${orgId}/dashboard/stream`) + '?' + query.toString();
  const stream = new EventSource(streamUrl);
  stream.addEventListener('metric', (event) => {
    const { widget, value } = JSON.parse(event.data);
    render(widget, value);
  });
  return stream;
}
