import { useState } from 'react';
import { useAlertManager } from '@perfwatch/react';

export function Alerts() {
  const { firing, connected, error, acknowledge } = useAlertManager({ token: import.meta.env.VITE_PERFWATCH_TOKEN });
  const [comment, setComment] = useState('on it');
  return (
    <section id="alerts" data-connected={connected ? 'true' : 'false'}>
      <p>
        Stream {connected ? 'connected' : 'connecting…'} {error && <span role="alert">({error})</span>}
      </p>
      <label>
        Comment <input value={comment} onChange={(e) => setComment(e.target.value)} />
      </label>
      {firing.length == 0 && <p>No alert is firing for this app.</p>}
      <ul>
        {firing.map((a) => (
          <li key={a.fingerprint} data-fingerprint={a.fingerprint} data-acked={a.status.acknowledgement ? 'true' : 'false'}>
            <strong>{a.labels.alertname}</strong> {a.annotations.summary}{' '}
            {a.status.acknowledgement ? (
              <em>acknowledged by {a.status.acknowledgement.acknowledgedBy}: {a.status.acknowledgement.comment}</em>
            ) : (
              <button type="button" onClick={() => acknowledge(a.fingerprint, comment)}>
                Acknowledge
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
