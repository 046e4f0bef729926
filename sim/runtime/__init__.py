"""How handler code runs on the virtual clock: greenlets, botocore hooks, time pinning."""
