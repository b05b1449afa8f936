#!/usr/bin/env python3
"""M/M/1 at rho = 0.9 in SimPy, for the README's comparison with faultline's kernel.

The model of scenarios/bench/mm1-rho09.ron and of the hand-written loop in
benches/kernel.rs: lambda = 0.9 and mu = 1 per ms, FIFO, one server. Two versions:

- lean: one generator process for arrivals and one for the server, waking each other with
  events; the least SimPy can do per customer (about two scheduled events, as in faultline);
- idiomatic: a process per customer that requests a `simpy.Resource`, as the SimPy
  documentation writes a queue.

Prints customers per CPU-second and the equivalent kernel events per second (two per
customer, as faultline counts them), the median of five runs of 500 000 customers.

Usage: benches/reference.sh (installs SimPy in a virtual environment under target/ first).
"""

import random
import statistics
from collections import deque
import sys
import time

import simpy

LAMBDA, MU = 0.9, 1.0  # per ms
CUSTOMERS = 500_000


def lean(customers: int, seed: int) -> int:
    env = simpy.Environment()
    rng = random.Random(seed)
    queue = deque()
    state = {"served": 0, "wake": env.event()}

    def arrivals():
        for _ in range(customers):
            yield env.timeout(rng.expovariate(LAMBDA))
            queue.append(env.now)
            if not state["wake"].triggered:
                state["wake"].succeed()

    def server():
        while state["served"] < customers:
            if not queue:
                state["wake"] = env.event()
                yield state["wake"]
            queue.popleft()
            yield env.timeout(rng.expovariate(MU))
            state["served"] += 1

    env.process(arrivals())
    env.process(server())
    env.run()
    return state["served"]


def idiomatic(customers: int, seed: int) -> int:
    env = simpy.Environment()
    rng = random.Random(seed)
    server = simpy.Resource(env, capacity=1)
    served = [0]

    def customer():
        with server.request() as request:
            yield request
            yield env.timeout(rng.expovariate(MU))
        served[0] += 1

    def arrivals():
        for _ in range(customers):
            yield env.timeout(rng.expovariate(LAMBDA))
            env.process(customer())

    env.process(arrivals())
    env.run()
    return served[0]


def rate(model, customers: int) -> float:
    runs = []
    for seed in range(5):
        start = time.process_time()
        served = model(customers, seed)
        runs.append(served / (time.process_time() - start))
    return statistics.median(runs)


if __name__ == "__main__":
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else CUSTOMERS
    print(f"simpy {simpy.__version__}, python {sys.version.split()[0]}, {customers} customers, median of 5")
    for name, model in [("lean", lean), ("idiomatic", idiomatic)]:
        r = rate(model, customers)
        print(f"{name:10} {r:12.0f} customers/s  {2 * r / 1e6:8.3f} M kernel-event equivalents/s")
