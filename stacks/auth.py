"""TodoAuth: who the callers are. A Cognito user pool, its app client and the admins group."""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from stacks.constants import ADMINS_GROUP
from stacks.nag import acknowledge

TOKEN_VALIDITY = Duration.minutes(60)
REFRESH_TOKEN_VALIDITY = Duration.days(30)
PASSWORD_POLICY = cognito.PasswordPolicy(
    min_length=12,
    require_lowercase=True,
    require_uppercase=True,
    require_digits=True,
    require_symbols=True,
    temp_password_validity=Duration.days(3),
)


class TodoAuth(Construct):
    """Users sign in with their email; administrators create them (no self sign-up)."""

    def __init__(self, scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy):
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=PASSWORD_POLICY,
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=removal_policy == RemovalPolicy.RETAIN,
            removal_policy=removal_policy,
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG2",
            "MFA is optional (TOTP only) rather than required: administrators create the users, "
            "and the CLI and end-to-end tests sign in with USER_PASSWORD_AUTH; a deployment that "
            "needs it sets mfa=Mfa.REQUIRED.",
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG8",
            "Threat protection needs the Plus feature plan, billed per monthly active user; "
            "the reference stack stays on Essentials (feature_plan=FeaturePlan.PLUS opts in).",
        )
        self.client = self.user_pool.add_client(
            "AppClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            # Clients sign in through the user pool API (SRP or password), never the hosted
            # UI: without this, CDK enables the code and implicit grants with a callback URL
            # of https://example.com.
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            id_token_validity=TOKEN_VALIDITY,
            access_token_validity=TOKEN_VALIDITY,
            refresh_token_validity=REFRESH_TOKEN_VALIDITY,
            enable_token_revocation=True,
        )
        self.admins_group = self.user_pool.add_group(
            "AdminsGroup",
            group_name=ADMINS_GROUP,
            description="Administrators: may list every owner's todos",
        )
