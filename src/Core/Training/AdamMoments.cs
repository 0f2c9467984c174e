using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>
/// What <see cref="Adam"/> and <see cref="AdamW"/> share of TorchSharp 0.107's step, line for line: the two moment
/// updates, the (amsgrad) denominator corrected for bias, and the parameter step. It owns the step's scalars (created
/// once per parameter group step, disposed with it) so no native call reads a scalar a garbage collection freed; see
/// <see cref="RMSProp"/> for that race. Each optimizer applies its own weight decay before calling <see cref="Apply"/>.
/// </summary>
internal sealed class AdamMoments : IDisposable
{
    private readonly double lr, beta1, beta2;
    private readonly bool amsgrad;
    private readonly Scalar beta1Scalar, beta2Scalar, oneMinusBeta1, oneMinusBeta2, eps, one;

    public AdamMoments(double lr, double beta1, double beta2, double eps, bool amsgrad)
    {
        (this.lr, this.beta1, this.beta2, this.amsgrad) = (lr, beta1, beta2, amsgrad);
        beta1Scalar = beta1.ToScalar();
        beta2Scalar = beta2.ToScalar();
        oneMinusBeta1 = (1.0 - beta1).ToScalar();
        oneMinusBeta2 = (1.0 - beta2).ToScalar();
        this.eps = eps.ToScalar();
        one = 1.ToScalar();
    }

    /// <summary>
    /// Updates <paramref name="expAvg"/> and <paramref name="expAvgSq"/> (the latter with <paramref name="grad"/> times
    /// <paramref name="squaredWith"/>: TorchSharp's Adam uses the conjugate, its AdamW the gradient itself) and steps
    /// <paramref name="parameter"/>; <paramref name="step"/> is the state's step after its increment. Returns the
    /// state's max_exp_avg_sq: a new tensor under amsgrad (the old one is disposed), else <paramref name="maxExpAvgSq"/>.
    /// </summary>
    public Tensor Apply(Tensor parameter, Tensor grad, Tensor squaredWith, Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq, long step)
    {
        double biasCorrection1 = 1.0 - Math.Pow(beta1, step);
        double biasCorrection2 = 1.0 - Math.Pow(beta2, step);
        expAvg.mul_(beta1Scalar).add_(grad, oneMinusBeta1);
        expAvgSq.mul_(beta2Scalar).addcmul_(grad, squaredWith, oneMinusBeta2);
        using var sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
        Tensor denom;
        if (amsgrad)
        {
            var previous = maxExpAvgSq;
            maxExpAvgSq = maximum(previous, expAvgSq).DetachFromDisposeScope();
            previous.Dispose();
            denom = maxExpAvgSq.sqrt().div(sqrtBiasCorrection2).add_(eps, one);
        }
        else
        {
            denom = expAvgSq.sqrt().div(sqrtBiasCorrection2).add_(eps, one);
        }
        double stepSize = lr / biasCorrection1;
        using var minusStepSize = (0.0 - stepSize).ToScalar();
        parameter.addcdiv_(expAvg, denom, minusStepSize);
        return maxExpAvgSq;
    }

    public void Dispose()
    {
        beta1Scalar.Dispose();
        beta2Scalar.Dispose();
        oneMinusBeta1.Dispose();
        oneMinusBeta2.Dispose();
        eps.Dispose();
        one.Dispose();
    }
}
