"""Symbolic models of the distributions that derivations integrate against."""
from derive.models.normal import Normal, mu, mu1, mu2, normal, normal_1, normal_2, sigma, sigma1, sigma2, standard_normal, z

__all__ = ["Normal", "mu", "mu1", "mu2", "normal", "normal_1", "normal_2", "sigma", "sigma1", "sigma2",
           "standard_normal", "z"]
