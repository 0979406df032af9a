import type { Observable } from 'rxjs';
import { containSubscribers } from '../common/containment';
import type { QmiClient } from '../qmi/client';
import type { QmiMessageSchema, QmiValue } from '../qmi';

/**
 * Makes a plugin's QMI client streams (server$, rawIndications$(), indications$())
 * report what the plugin's subscribers throw to `onError` (the plugin host's
 * containment boundary) instead of RxJS's unhandled-error path.
 */
export function containQmiClient(client: QmiClient, onError: (err: unknown) => void): QmiClient {
  const server$ = containSubscribers(client.server$, onError);
  Object.defineProperty(client, 'server$', { value: server$, enumerable: true });
  const raw = client.rawIndications$.bind(client);
  client.rawIndications$ = () => containSubscribers(raw(), onError);
  const decoded = client.indications$.bind(client);
  client.indications$ = <S extends QmiMessageSchema>(schema: S): Observable<QmiValue<S>> => containSubscribers(decoded(schema), onError);
  return client;
}
