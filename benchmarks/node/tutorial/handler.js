// The 2019 tutorial's function, rebuilt for the cold-start benchmark: an Express app behind
// aws-serverless-express that lists todos through the AppSync client (Apollo) with IAM auth.
// Only module load and set-up run in the benchmark, as in a Lambda cold start's init phase.
require('es6-promise').polyfill();
require('isomorphic-fetch');
const express = require('express');
const bodyParser = require('body-parser');
const awsServerlessExpress = require('aws-serverless-express');
const awsServerlessExpressMiddleware = require('aws-serverless-express/middleware');
const AWS = require('aws-sdk');
const gql = require('graphql-tag');
const AWSAppSyncClient = require('aws-appsync').default;

const listTodos = gql`
  query ListTodos($limit: Int, $nextToken: String) {
    listTodos(limit: $limit, nextToken: $nextToken) {
      items { id owner title completed version createdAt updatedAt }
      nextToken
    }
  }
`;

const appsync = new AWSAppSyncClient(
  {
    url: process.env.GRAPHQL_URL,
    region: process.env.AWS_REGION,
    auth: { type: 'AWS_IAM', credentials: AWS.config.credentials },
    disableOffline: true,
  },
  { defaultOptions: { query: { fetchPolicy: 'network-only', errorPolicy: 'all' } } },
);

const app = express();
app.use(bodyParser.json());
app.use(awsServerlessExpressMiddleware.eventContext());
app.get('/items', async (_request, response) => {
  try {
    const client = await appsync.hydrated();
    const { data } = await client.query({ query: listTodos });
    response.json(data.listTodos);
  } catch (error) {
    response.status(502).json({ code: 'upstream', message: String(error) });
  }
});

const server = awsServerlessExpress.createServer(app);
exports.handler = (event, context) => awsServerlessExpress.proxy(server, event, context);
