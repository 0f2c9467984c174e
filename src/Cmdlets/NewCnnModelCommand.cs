using System.Management.Automation;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Creates a CNN model: the tutorial's Keras model by default, a named preset, or a layer list.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "CnnModel", DefaultParameterSetName = PresetSet)]
[OutputType(typeof(ModelDefinition))]
public sealed class NewCnnModelCommand : PSCmdlet
{
    private const string PresetSet = "Preset";
    private const string LayersSet = "Layers";

    /// <summary>A dataset (piped from Import-MnistData) whose input shape and class count the model takes.</summary>
    [Parameter(ValueFromPipeline = true)]
    public MnistDataset? Dataset { get; set; }

    [Parameter(ParameterSetName = PresetSet, Position = 0)]
    [ArgumentCompleter(typeof(PresetCompleter))]
    public string Preset { get; set; } = ModelPresets.KerasSeed;

    /// <summary>Layers, e.g. (New-CnnLayer Conv2D -Filters 32), or hashtables such as @{ Type = 'Conv2D'; Filters = 32 }.</summary>
    [Parameter(ParameterSetName = LayersSet, Mandatory = true)]
    public LayerSpec[] Layers { get; set; } = Array.Empty<LayerSpec>();

    /// <summary>Height, width and channels of one input image (default: the dataset's, or 28,28,1).</summary>
    [Parameter]
    [ValidateCount(3, 3)]
    public int[]? InputShape { get; set; }

    [Parameter]
    [ValidateRange(2, 100000)]
    public int? Classes { get; set; }

    [Parameter]
    public string? Name { get; set; }

    protected override void BeginProcessing() => BackendGate.Require(this);

    protected override void ProcessRecord()
    {
        var input = InputShape is { } s ? new InputShape(s[0], s[1], s[2]) : Dataset?.InputShape ?? Core.Data.InputShape.Mnist;
        int classes = Classes ?? Dataset?.Classes ?? 10;
        try
        {
            var spec = ParameterSetName == LayersSet
                ? new ModelSpec(input, classes, Layers, Name ?? "custom")
                : ModelPresets.Create(Preset, input, classes);
            if (Name is not null) spec = spec with { Name = Name };
            spec.Summarize();
            WriteObject(new ModelDefinition(spec, Dataset));
        }
        catch (MnistCnnException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }

    private sealed class PresetCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters) =>
            ModelPresets.Names.Where(n => n.StartsWith(wordToComplete, StringComparison.OrdinalIgnoreCase)).Select(n => new CompletionResult(n));
    }
}
