"""The maths of FID and KID on feature vectors, in NumPy alone (no SciPy).

FID (Heusel et al. 2017) is the Fréchet distance between two Gaussians fitted
to the features of real and generated images::

    d² = ||μ1 - μ2||² + Tr(Σ1) + Tr(Σ2) - 2 Tr((Σ1^½ Σ2 Σ1^½)^½)

The trace term is usually written Tr((Σ1 Σ2)^½) and computed with
``scipy.linalg.sqrtm`` on the non-symmetric product, which goes complex or NaN
when a covariance is singular (fewer samples than feature dimensions). Here
both square roots are of symmetric positive semi-definite matrices, taken by
symmetric eigendecomposition with round-off negatives clipped to zero, so a
rank-deficient covariance gives a finite, real answer.

KID (Bińkowski et al. 2018) is the squared MMD with the cubic polynomial
kernel ``k(x, y) = (x·y / d + 1)³``, estimated without bias on random subsets
of both sets; its mean and standard deviation over subsets are reported.
"""
import numpy as np


def _clip_eigenvalues(eigvals):
    """Zero the eigenvalues that are round-off: negative, or below the rank tolerance d·eps·max|λ|.

    Their square roots would otherwise add noise of order sqrt(eps) each, which
    for a 2048-d singular covariance is visible in the distance.
    """
    tol = len(eigvals) * np.finfo(np.float64).eps * max(np.abs(eigvals).max(initial=0.0), 1e-300)
    return np.where(eigvals > tol, eigvals, 0.0)


def sqrtm_psd(matrix):
    """The symmetric PSD square root of a symmetric PSD matrix; singular input is fine."""
    a = np.asarray(matrix, dtype=np.float64)
    eigvals, eigvecs = np.linalg.eigh((a + a.T) / 2)
    root = (eigvecs * np.sqrt(_clip_eigenvalues(eigvals))) @ eigvecs.T
    return (root + root.T) / 2


def trace_sqrt_product(sigma1, sigma2):
    """Tr((Σ1 Σ2)^½) as Σ sqrt(eig(Σ1^½ Σ2 Σ1^½)): that matrix is symmetric PSD and similar to Σ1 Σ2."""
    root1 = sqrtm_psd(sigma1)
    inner = root1 @ np.asarray(sigma2, dtype=np.float64) @ root1
    eigvals = np.linalg.eigvalsh((inner + inner.T) / 2)
    return float(np.sqrt(_clip_eigenvalues(eigvals)).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Squared Fréchet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2)."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
        raise ValueError("mismatched shapes: mu %s/%s, sigma %s/%s"
                         % (mu1.shape, mu2.shape, sigma1.shape, sigma2.shape))
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt_product(sigma1, sigma2))


class GaussianStats:
    """Running mean and covariance of feature rows, in float64, without keeping the rows.

    Rows are shifted by the first batch's mean before accumulating the sums, so
    the covariance does not lose digits to cancellation when features have a
    large mean (Inception pool features are all positive).
    """

    def __init__(self):
        self.count = 0
        self._shift = None
        self._sum = None
        self._outer = None

    def update(self, rows):
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim != 2 or not len(rows):
            return self
        if self._shift is None:
            self._shift = rows.mean(axis=0)
            self._sum = np.zeros(rows.shape[1])
            self._outer = np.zeros((rows.shape[1], rows.shape[1]))
        centred = rows - self._shift
        self._sum += centred.sum(axis=0)
        self._outer += centred.T @ centred
        self.count += len(rows)
        return self

    @property
    def mean(self):
        return self._shift + self._sum / self.count

    @property
    def cov(self):
        """The unbiased (n - 1) sample covariance, as ``np.cov(rows, rowvar=False)``."""
        if self.count < 2:
            raise ValueError("a covariance needs at least 2 rows, got %d" % self.count)
        m = self._sum / self.count
        cov = (self._outer - self.count * np.outer(m, m)) / (self.count - 1)
        return (cov + cov.T) / 2


def gaussian_stats(features):
    """``(mean, covariance)`` of feature rows (N, D)."""
    stats = GaussianStats().update(features)
    return stats.mean, stats.cov


def fid_from_features(features1, features2):
    """FID between two sets of feature rows."""
    return frechet_distance(*gaussian_stats(features1), *gaussian_stats(features2))


def polynomial_kernel(x, y):
    """KID's kernel ``(x·y / d + 1)³`` for all pairs of rows of x (m, d) and y (n, d) -> (m, n)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x, y):
    """Unbiased squared MMD between samples x (m, d) and y (n, d) under the polynomial kernel.

    The within-set sums leave out the diagonal k(x_i, x_i): including it is what
    biases the plain estimator upwards.
    """
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise ValueError("the unbiased MMD needs at least 2 samples per set, got %d and %d" % (m, n))
    kxx, kyy, kxy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
                 + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2 * kxy.mean())


def kernel_inception_distance(features1, features2, num_subsets=100, subset_size=1000, seed=0):
    """KID as in Bińkowski et al.: ``(mean, std)`` of the unbiased MMD² over random subsets.

    Each subset draws ``subset_size`` rows from each set without replacement
    (rows may recur across subsets); ``subset_size`` is capped at the smaller set.
    """
    n = min(len(features1), len(features2))
    size = min(subset_size, n)
    if size < 2 or num_subsets < 1:
        raise ValueError("KID needs at least 2 rows per set and one subset (got %d rows, %d subsets)"
                         % (n, num_subsets))
    rs = np.random.RandomState(seed)
    values = np.array([mmd2_unbiased(features1[rs.choice(len(features1), size, replace=False)],
                                     features2[rs.choice(len(features2), size, replace=False)])
                       for _ in range(num_subsets)])
    return float(values.mean()), float(values.std())
