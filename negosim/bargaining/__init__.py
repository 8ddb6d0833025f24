"""Bargaining over time: party agents with concession strategies and beliefs, under a protocol (Mesa).

Where the engine says which packages everyone could accept, a simulation says which one
parties reach, round by round: each agent concedes by its strategy, believes what it believes
about the others, searches offers, and a protocol decides who proposes. The registries hold the
declared names without importing Mesa; the package itself imports nothing heavy.

- :mod:`~negosim.bargaining.registry`: the registries of strategies and protocols;
- :mod:`~negosim.bargaining.strategies`: concession strategies;
- :mod:`~negosim.bargaining.beliefs`: what one agent believes about the others;
- :mod:`~negosim.bargaining.offer_search`: where offers are searched;
- :mod:`~negosim.bargaining.agents`: ``PartyAgent`` and the mediator;
- :mod:`~negosim.bargaining.protocols`: single negotiating text, alternating offers, random proposer;
- :mod:`~negosim.bargaining.model`: ``NegotiationModel(mesa.Model)``;
- :mod:`~negosim.bargaining.simulate`: ``simulate()``, one run and its trace.
"""
