using MnistCnn.Core.Data;

namespace MnistCnn.Core.Models;

/// <summary>
/// An untrained model as New-CnnModel returns it: the architecture, its Keras-style summary, and the dataset it
/// was shaped for (so <c>Import-MnistData | New-CnnModel | Start-CnnTraining</c> needs no more arguments).
/// </summary>
public sealed class ModelDefinition
{
    public ModelDefinition(ModelSpec spec, MnistDataset? dataset = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        Dataset = dataset;
        Layers = spec.Summarize();
    }

    public ModelSpec Spec { get; }
    public MnistDataset? Dataset { get; }
    public string Name => Spec.Name;
    public IReadOnlyList<LayerSummary> Layers { get; }
    public long Parameters => Layers.Sum(l => l.Parameters);
    public long TrainableParameters => Layers.Sum(l => l.TrainableParameters);
    public InputShape InputShape => Spec.Input;
    public int Classes => Spec.Classes;

    /// <summary>The summary as Keras prints it, as text.</summary>
    public string SummaryText => ModelSummaryText.Format(Spec, Layers);

    public override string ToString() => $"{Name} ({Parameters:N0} parameters)";
}

/// <summary>Renders a Keras-style model summary table.</summary>
public static class ModelSummaryText
{
    public static string Format(ModelSpec spec, IReadOnlyList<LayerSummary> rows)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(rows);
        var sb = new System.Text.StringBuilder();
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"Model: \"{spec.Name}\"");
        string rule = new('_', 65), thick = new('=', 65);
        sb.AppendLine(rule);
        sb.AppendLine(inv, $"{"Layer (type)",-29}{"Output Shape",-25}{"Param #",11}");
        sb.AppendLine(thick);
        foreach (var r in rows)
        {
            sb.AppendLine(inv, $"{$"{r.Name} ({r.Type})",-29}{r.OutputShape,-25}{r.Parameters,11:N0}");
        }
        sb.AppendLine(thick);
        long total = rows.Sum(r => r.Parameters), trainable = rows.Sum(r => r.TrainableParameters);
        sb.AppendLine(inv, $"Total params: {total:N0}");
        sb.AppendLine(inv, $"Trainable params: {trainable:N0}");
        sb.AppendLine(inv, $"Non-trainable params: {total - trainable:N0}");
        sb.Append(rule);
        return sb.ToString();
    }
}
