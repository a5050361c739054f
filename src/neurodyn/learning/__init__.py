"""How networks learn: the training loop ``fit`` (optax), network-level learning
and gradient estimators, and the local rules (which live in :mod:`neurodyn.plasticity`),
gathered in one place."""

from ._fit import History as History
from ._fit import batch_indices as batch_indices
from ._fit import fit as fit
from ._mlp import MLP as MLP
from ._mlp import DirectFeedbackAlignment as DirectFeedbackAlignment
from ._mlp import FeedbackAlignment as FeedbackAlignment
from ._mlp import accuracy as accuracy
from ._mlp import angle as angle
from ._mlp import backprop_deltas as backprop_deltas
from ._mlp import cross_entropy as cross_entropy
from ._mlp import grads_from_deltas as grads_from_deltas
from ._mlp import supervised_loss as supervised_loss
from ._perturbation import EstimatorStats as EstimatorStats
from ._perturbation import NodePerturbation as NodePerturbation
from ._perturbation import RateMap as RateMap
from ._perturbation import correlation_by_samples as correlation_by_samples
from ._perturbation import estimator_stats as estimator_stats
from ._perturbation import node_perturbation as node_perturbation
from ._perturbation import perturbation_study as perturbation_study
from ._perturbation import rate_map_problem as rate_map_problem
from ._perturbation import sample_estimates as sample_estimates
from ._perturbation import weight_perturbation as weight_perturbation
from ._forward_forward import ForwardForward as ForwardForward
from ._forward_forward import ff_accuracy as ff_accuracy
from ._forward_forward import forward_forward_loss as forward_forward_loss

# rate rules (issue 16, part 1): online on a rate network's W or a FeedForward layer, or on data with run_rule
from ..plasticity import BCM as BCM, AntiHebbian as AntiHebbian, Covariance as Covariance, Hebbian as Hebbian
from ..plasticity import Oja as Oja, Sanger as Sanger
from ..rate._feedforward import FeedForward as FeedForward, RuleResult as RuleResult, run_rule as run_rule
