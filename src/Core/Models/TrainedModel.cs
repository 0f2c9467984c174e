using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using static TorchSharp.torch;

namespace MnistCnn.Core.Models;

/// <summary>
/// A model with weights: the network, its architecture, its preprocessing and class names. Returned by training
/// and by <see cref="ModelStore.Load"/>; owns native memory, so dispose it (the cmdlets do when a session ends).
/// </summary>
public sealed class TrainedModel : IDisposable
{
    public TrainedModel(CnnModel network, ModelSpec spec, Preprocessing preprocessing, IReadOnlyList<string> classNames, string dataset, Device device)
    {
        Network = network;
        Spec = spec;
        Preprocessing = preprocessing;
        ClassNames = classNames;
        Dataset = dataset;
        Device = device;
    }

    public CnnModel Network { get; }
    public ModelSpec Spec { get; }
    public Preprocessing Preprocessing { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public string Dataset { get; }
    public Device Device { get; }
    public string Name => Spec.Name;
    public long Parameters => Network.ParameterCount;
    /// <summary>Folder the model was loaded from or last saved to.</summary>
    public string? Path { get; set; }
    /// <summary>Run that produced the weights, when known.</summary>
    public string? RunId { get; set; }
    public double? TestAccuracy { get; set; }

    public bool IsDisposed { get; private set; }

    internal void ThrowIfDisposed()
    {
        if (IsDisposed)
        {
            throw new MnistCnnException(ModelsErrorIds.ModelDisposed, ErrorKind.InvalidOperation,
                $"Model '{Name}' has been disposed. Load it again with Import-CnnModel.", Name);
        }
    }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Network.Dispose();
    }

    public override string ToString() => $"{Name} ({Dataset}, {Parameters:N0} parameters{(TestAccuracy is { } a ? $", test accuracy {a:P2}" : "")})";
}
