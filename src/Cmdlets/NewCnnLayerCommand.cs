using System.Management.Automation;
using MnistCnn.Core.Models;

namespace MnistCnn.Cmdlets;

/// <summary>Layer kinds New-CnnLayer creates.</summary>
public enum LayerKind
{
    Conv2D,
    MaxPool2D,
    AvgPool2D,
    Flatten,
    Dense,
    Dropout,
    BatchNorm,
}

/// <summary>
/// <para type="synopsis">Creates one layer for New-CnnModel -Layers: Conv2D, MaxPool2D, AvgPool2D, Flatten, Dense, Dropout or BatchNorm.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "CnnLayer")]
[OutputType(typeof(LayerSpec))]
public sealed class NewCnnLayerCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public LayerKind Type { get; set; }

    /// <summary>Conv2D: number of filters.</summary>
    [Parameter]
    [ValidateRange(1, 65536)]
    public int Filters { get; set; } = 32;

    /// <summary>Dense: number of units.</summary>
    [Parameter]
    [ValidateRange(1, 1000000)]
    public int Units { get; set; } = 64;

    /// <summary>Conv2D kernel or pooling window: one number (square) or height, width. Default 3 for Conv2D, 2 for pooling.</summary>
    [Parameter]
    [ValidateCount(1, 2)]
    [Alias("PoolSize")]
    public int[]? KernelSize { get; set; }

    /// <summary>Strides: one number or height, width. Default 1 for Conv2D, the window size for pooling.</summary>
    [Parameter]
    [ValidateCount(1, 2)]
    public int[]? Stride { get; set; }

    [Parameter]
    public Padding Padding { get; set; } = Padding.Valid;

    /// <summary>relu (default for Conv2D and Dense), softmax, sigmoid, tanh, elu, gelu, selu, leaky_relu or linear.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ActivationCompleter))]
    public string Activation { get; set; } = "relu";

    /// <summary>Dropout: fraction of activations dropped while training.</summary>
    [Parameter]
    [ValidateRange(0.0, 0.99)]
    public double Rate { get; set; } = 0.5;

    protected override void ProcessRecord()
    {
        if (!ActivationNames.TryParse(Activation, out var activation))
        {
            ThrowTerminatingError(ErrorRecords.Create(CmdletErrorIds.UnknownActivation, ErrorCategory.InvalidArgument,
                $"'{Activation}' is not an activation. Use one of: {string.Join(", ", ActivationNames.Names)}.", Activation));
            return;
        }
        var kind = LayerFactory.ForCmdlet(Type.ToString());
        var arguments = new LayerArguments
        {
            Filters = Filters,
            Units = Units,
            Window = KernelSize is null ? null : (KernelSize[0], KernelSize[^1]),
            Strides = Stride is null ? null : (Stride[0], Stride[^1]),
            Padding = Padding,
            Activation = activation,
            Rate = Rate,
        };
        var layer = LayerFactory.Create(kind, arguments);
        WriteObject(layer);
    }

    private sealed class ActivationCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters) =>
            ActivationNames.Names.Where(n => n.StartsWith(wordToComplete, StringComparison.OrdinalIgnoreCase)).Select(n => new CompletionResult(n));
    }
}
