from sim.services.sqs.model import Message, Queue, SqsService

__all__ = ["Message", "Queue", "SqsService"]
