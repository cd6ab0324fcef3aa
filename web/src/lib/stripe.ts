import { useQuery } from '../api/hooks';
import { useSession } from '../session';

export interface StripeSettings {
  configured: boolean;
  mode: 'test' | 'live';
  secretKey: string | null;
  publishableKey: string | null;
  webhookSecrets: string[];
  webhookEndpoint: { id: string; url: string } | null;
  updatedAt: string | null;
}

/** The workspace's Stripe settings for an ADMIN; null for a MEMBER (the server refuses them). */
export function useStripeSettings(): StripeSettings | null {
  const { isAdmin } = useSession();
  const { data } = useQuery<StripeSettings>(isAdmin ? '/rest/settings/stripe' : null);
  return data ?? null;
}
