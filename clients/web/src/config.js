// The stack's outputs (local-outputs.json or cdk-outputs.json: {stackName: {OutputKey: value}})
// turned into what the clients need. Nothing else configures them.

export function stackOutputs(document) {
  const stacks = Object.values(document);
  if (stacks.length !== 1) {
    throw new Error(`expected one stack in the outputs file, found ${stacks.length}`);
  }
  const outputs = stacks[0];
  for (const key of ['GraphQLUrl', 'RestApiUrl', 'UserPoolId', 'UserPoolClientId', 'Region']) {
    if (!outputs[key]) throw new Error(`the outputs file has no ${key}`);
  }
  return outputs;
}

// Amplify JS v6 resource configuration. `AwsEndpoint` exists only in local-outputs.json: it
// points Amplify's Cognito calls at the local stack (Auth.Cognito.userPoolEndpoint).
export function amplifyConfig(outputs) {
  return {
    Auth: {
      Cognito: {
        userPoolId: outputs.UserPoolId,
        userPoolClientId: outputs.UserPoolClientId,
        ...(outputs.AwsEndpoint ? { userPoolEndpoint: outputs.AwsEndpoint } : {}),
      },
    },
    API: {
      GraphQL: {
        endpoint: outputs.GraphQLUrl,
        region: outputs.Region,
        defaultAuthMode: 'userPool',
      },
    },
  };
}
