from sim.services.lambda_.model import InvokeResult, LambdaService

__all__ = ["InvokeResult", "LambdaService"]
