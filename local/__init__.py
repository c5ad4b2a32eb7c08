"""Run the synthesized stack (cdk.out) on this machine: `python -m local` or `make up`."""
