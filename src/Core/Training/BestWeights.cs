using MnistCnn.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>Early stopping's state: the best validation loss so far, its epoch, and (to restore them) its weights.</summary>
public sealed class BestWeights : IDisposable
{
    private Dictionary<string, Tensor>? weights;

    public double Loss { get; set; } = double.PositiveInfinity;
    /// <summary>0-based epoch of <see cref="Loss"/>; -1 before any.</summary>
    public int Epoch { get; set; } = -1;
    public bool HasWeights => weights is not null;

    /// <summary>Takes <paramref name="loss"/> when it is better; keeps a copy of the weights when <paramref name="keep"/>.</summary>
    public bool Offer(CnnModel network, double loss, int epoch, bool keep)
    {
        if (!(loss < Loss)) return false;
        Loss = loss;
        Epoch = epoch;
        if (keep) Capture(network);
        return true;
    }

    public void Capture(CnnModel network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Clear();
        weights = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    public void RestoreInto(CnnModel network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (weights is null) return;
        using var noGrad = no_grad();
        var state = network.state_dict();
        foreach (var (key, value) in weights) state[key].copy_(value);
    }

    public void Save(string path)
    {
        if (weights is null) return;
        using var writer = new BinaryWriter(File.Create(path));
        nn.Module.save_state_dict(writer, weights);
    }

    public void Clear()
    {
        if (weights is null) return;
        foreach (var t in weights.Values) t.Dispose();
        weights = null;
    }

    public void Dispose() => Clear();
}
