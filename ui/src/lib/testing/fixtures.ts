// Shapes the UI tests build again and again, in one place.
import type { SessionSummary, SignedIn } from '../backend/types';

export function sessionSummary(overrides: Partial<SessionSummary> = {}): SessionSummary {
  return {
    id: 's1',
    support_key: '482913605',
    support_key_display: '482 913 605',
    join_url: 'http://x/join/482913605',
    key_expires_at: Date.now() + 3_600_000,
    request_control_on_arrival: false,
    status: 'waiting',
    technician_name: 'Tina',
    end_user_name: null,
    created_at: Date.now(),
    ended_at: null,
    last_seq: 0,
    adhoc_session_id: null,
    ...overrides,
  };
}

export function signedIn(overrides: Partial<SignedIn> = {}): SignedIn {
  return {
    server_url: 'http://127.0.0.1:8080',
    technician: {
      id: 't1',
      email: 'admin@lifeline.local',
      display_name: 'Lifeline Admin',
      company_name: 'Lifeline',
      is_admin: true,
      disabled: false,
      second_factor: false,
      second_factor_required: false,
    },
    server: {
      version: '0.1.0',
      public_url: 'http://127.0.0.1:8080/',
      email_enabled: false,
      max_upload_bytes: 1024,
    },
    remembered: true,
    keychain_error: null,
    ...overrides,
  };
}
