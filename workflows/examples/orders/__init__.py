"""A tiny order pipeline, used by the demo and the kernel's tests.

    schedule (09:30 weekdays) -> intake -> EventBridge "OrderPlaced" -> reserve (async)
    reserve: conditional put in DynamoDB, SendMessage to the FIFO queue fulfil.fifo
    fulfil.fifo -> fulfil (event source mapping): ADD to a counter, email via SES

It knows nothing of trading or of the simulator: plain handlers and boto3.
"""
