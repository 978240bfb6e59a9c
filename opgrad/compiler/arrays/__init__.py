"""The numpy backend of ``opgrad.compile``: a traced step as array code.

The graph is cut into domains (a group's repeated regions become the
columns of one domain; everything else is the top domain), each domain's
chains of sums are folded, and nodes with the same op and the same sources
are packed into one array operation. Products under sums whose one side is
the parameters become matrix products. Each op runs its own forward and
rule on the arrays (``forms``). Leaves only the graph holds are fixed data;
the others are read on each call and get their gradients.
"""
