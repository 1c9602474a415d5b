"""Signal diagnostics: is there anything for a recommender to learn in this data?

Some releases are structured (people play their favourite genres, popular tracks are played more, people
re-listen), others are close to uniform noise, and then every model scores like random. Each check here
compares a figure with what it would be if there were no such structure, with a bootstrap confidence
interval (seeded), and the data behind its chart:

- :func:`popularity_dispersion` -- plays per track against a Poisson spread (dispersion index
  variance / mean, 1 under "every play picks a track at random"), and the Gini coefficient against
  the Gini of such random plays.
- :func:`genre_affinity` -- share of each user's plays in their favourite genres, against the share
  expected if users picked plays independently of who they are (the genres' share of *all* plays);
  the genres' share of the catalogue is reported beside it.
- :func:`relistening` -- share of a user's validation pairs already heard in training, against the share
  expected if validation tracks were drawn independently of the user (from everyone else's validation
  plays).
- :func:`popularity_vs_random` -- NDCG@10 of the most-played tracks against random's expected NDCG@10.

:func:`diagnose` turns them into a verdict. A check's effect is *detected* when its 95% CI excludes the
null value, and *clear* when the CI's lower end clears the null by a margin (the smallest effect worth
acting on, :data:`MARGINS`). The verdict is about *personal* structure (genre affinity, re-listening),
the thing a personalised model learns; popularity skew and the popularity model are reported beside it
as context, because a dataset whose track ids were shuffled across events keeps every track's play count
(and so its popularity skew) while nothing about any user remains:

- ``structured``: every available personal check detected, at least one clearly;
- ``weak``: some personal structure detected, but not that much;
- ``none``: no personal structure detected.

Modules: :mod:`.check` (the result types, status and CI rules), :mod:`.popularity`, :mod:`.genres`,
:mod:`.relisten`, :mod:`.versus_random` (one per check family), :mod:`.verdict` (:func:`diagnose`) and
:mod:`.cache` (:func:`diagnose_cached`). Every public name is importable from this package.
"""

from recsys.evaluation.diagnostics.cache import diagnose_cached
from recsys.evaluation.diagnostics.check import MARGINS, Check, Diagnosis
from recsys.evaluation.diagnostics.genres import genre_affinity
from recsys.evaluation.diagnostics.popularity import gini, popularity_dispersion
from recsys.evaluation.diagnostics.relisten import relistening, straddling_pairs
from recsys.evaluation.diagnostics.verdict import diagnose
from recsys.evaluation.diagnostics.versus_random import best_model_vs_random, popularity_vs_random

__all__ = [
    "MARGINS",
    "Check",
    "Diagnosis",
    "best_model_vs_random",
    "diagnose",
    "diagnose_cached",
    "genre_affinity",
    "gini",
    "popularity_dispersion",
    "popularity_vs_random",
    "relistening",
    "straddling_pairs",
]
