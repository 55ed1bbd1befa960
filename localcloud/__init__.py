"""localcloud: the offline AWS behind the aws-de-labs notebooks.

moto answers the AWS APIs (reached only through ``localcloud.seam``); engines (one
package per service under ``localcloud.engines``) put real things behind them.  Run it with
``python -m localcloud start|stop|status|env|reset``.  Importing this package
has no side effects.
"""

__version__ = "0.1.0"
