// What a Node user would write today for the same function: Powertools Logger, a SigV4
// signer from the AWS SDK v3's building blocks and the runtime's fetch. make bench bundles it
// with esbuild the way CDK's NodejsFunction does (one CommonJS file for the runtime's Node).
import { Sha256 } from '@aws-crypto/sha256-js';
import { Logger } from '@aws-lambda-powertools/logger';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME });
const endpoint = new URL(process.env.GRAPHQL_URL);
const signer = new SignatureV4({
  service: 'appsync',
  region: process.env.AWS_REGION,
  sha256: Sha256,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
    sessionToken: process.env.AWS_SESSION_TOKEN,
  },
});
const LIST_TODOS = `query ListTodos($limit: Int, $nextToken: String) {
  listTodos(limit: $limit, nextToken: $nextToken) {
    items { id owner title completed version createdAt updatedAt }
    nextToken
  }
}`;

async function graphql(query, variables) {
  const request = new HttpRequest({
    method: 'POST',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: endpoint.port ? Number(endpoint.port) : undefined,
    path: endpoint.pathname,
    headers: { host: endpoint.host, 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const signed = await signer.sign(request);
  const response = await fetch(endpoint, { method: 'POST', headers: signed.headers, body: signed.body });
  return response.json();
}

export const handler = async (event) => {
  logger.addContext({ awsRequestId: event.requestContext?.requestId });
  const { data } = await graphql(LIST_TODOS, { limit: 20 });
  return { statusCode: 200, body: JSON.stringify(data.listTodos) };
};
