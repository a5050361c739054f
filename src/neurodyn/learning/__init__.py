"""How networks learn: learning rules and the ways to run them, gathered in one place
(the rules themselves live in :mod:`neurodyn.plasticity`)."""

# rate rules (issue 16, part 1): online on a rate network's W or a FeedForward layer, or on data with run_rule
from ..plasticity import BCM as BCM, AntiHebbian as AntiHebbian, Covariance as Covariance, Hebbian as Hebbian
from ..plasticity import Oja as Oja, Sanger as Sanger
from ..rate._feedforward import FeedForward as FeedForward, RuleResult as RuleResult, run_rule as run_rule
