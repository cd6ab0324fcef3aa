import { useStripeSettings } from '../lib/stripe';

/** A clear banner while the workspace's Stripe runs in test mode (ADMINs can read the mode). */
export function TestModeBanner() {
  const s = useStripeSettings();
  if (!s || s.mode !== 'test') return null;
  return (
    <div className="banner banner-test" role="status">
      <strong>Test mode.</strong> Stripe runs with test keys: payments use test cards and no real money moves.
    </div>
  );
}
