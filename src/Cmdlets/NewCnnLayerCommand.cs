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
            ThrowTerminatingError(ErrorRecords.Create("UnknownActivation", ErrorCategory.InvalidArgument,
                $"'{Activation}' is not an activation. Use one of: {string.Join(", ", ActivationNames.Names)}.", Activation));
            return;
        }
        int[] window = KernelSize ?? (Type == LayerKind.Conv2D ? new[] { 3 } : new[] { 2 });
        (int h, int w) = window.Length == 1 ? (window[0], window[0]) : (window[0], window[1]);
        int? sh = Stride?[0];
        int? sw = Stride is null ? null : Stride[^1];
        LayerSpec layer = Type switch
        {
            LayerKind.Conv2D => new Conv2DSpec(Filters, h, w, sh ?? 1, sw ?? 1, Padding, activation),
            LayerKind.MaxPool2D => new MaxPool2DSpec(h, w, sh, sw, Padding),
            LayerKind.AvgPool2D => new AvgPool2DSpec(h, w, sh, sw, Padding),
            LayerKind.Flatten => new FlattenSpec(),
            LayerKind.Dense => new DenseSpec(Units, activation),
            LayerKind.Dropout => new DropoutSpec(Rate),
            _ => new BatchNormSpec(),
        };
        WriteObject(layer);
    }

    private sealed class ActivationCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters) =>
            ActivationNames.Names.Where(n => n.StartsWith(wordToComplete, StringComparison.OrdinalIgnoreCase)).Select(n => new CompletionResult(n));
    }
}
