"""The Alchemiser, the system under test: plain Lambda handlers (``handlers/``) that use
boto3 and alpaca-py as they would in AWS, the events they exchange (``events.py``), and
the stacks that wire them (``stacks/``). Nothing here knows about SimPy or the kernel."""
