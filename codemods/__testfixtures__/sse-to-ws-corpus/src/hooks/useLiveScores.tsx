import { useEffect, useState } from 'react';

type Score = { home: number; away: number; minute: number };

export function LiveScore({ matchId }: { matchId: number }) {
  const [score, setScore] = useState<Score | null>(null);
  const [finished, setFinished] = useState(false);

  useEffect(() => {
    const events = new EventSource(`${import.meta.env.VITE_LIVE_URL}/matches/${matchId}/events`);
    events.addEventListener('score', (e) => setScore(JSON.parse((e as MessageEvent).data)));
    events.addEventListener('final', () => {
      setFinished(true);
      events.close();
    });
    return () => events.close();
  }, [matchId]);

  if (!score) return <span className="score score--pending">–</span>;
  return (
    <span className={finished ? 'score score--final' : 'score'}>
      {score.home}:{score.away} ({score.minute}')
    </span>
  );
}
