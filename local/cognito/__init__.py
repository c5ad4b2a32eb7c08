"""Cognito user pools as AWS behaves where moto does not (see service.py): real SRP password
checks, PreventUserExistenceErrors, token lifetimes and claims from the template, refresh with
GetTokensFromRefreshToken, and RevokeToken."""
