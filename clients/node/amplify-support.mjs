// Shared by the Amplify JS checks (amplify-check.mjs, amplify-notebook-check.mjs).
import { CONNECTION_STATE_CHANGE, ConnectionState } from 'aws-amplify/api';
import { Hub } from 'aws-amplify/utils';
import { roleCredentials } from './outputs.mjs';

// Amplify's Auth.credentialsProvider: the iam mode signs with what it gives, here the role's
// credentials from the environment (a server-side Node app supplies its own role's).
export function roleCredentialsProvider() {
  const credentials = roleCredentials();
  return {
    getCredentialsAndIdentityId: async () => ({ credentials }),
    clearCredentialsAndIdentityId: () => {},
  };
}

// Resolves when Amplify's real-time connection is next reported Connected.
export function apiConnected() {
  return new Promise((resolve) => {
    const stop = Hub.listen('api', ({ payload }) => {
      if (
        payload.event === CONNECTION_STATE_CHANGE &&
        payload.data.connectionState === ConnectionState.Connected
      ) {
        stop();
        resolve();
      }
    });
  });
}
