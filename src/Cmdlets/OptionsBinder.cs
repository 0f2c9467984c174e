using System.Collections;
using System.Globalization;
using System.Management.Automation;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Training;
using MnistCnn.Core.Training.Settings;

namespace MnistCnn.Cmdlets;

/// <summary>Applies a hashtable of extra settings to an immutable <see cref="TrainingOptions"/> by the names the <see cref="TrainingSettingsCatalog"/> declares.</summary>
internal static class OptionsBinder
{
    public static TrainingOptions Apply(TrainingOptions options, Hashtable? extra)
    {
        if (extra is null || extra.Count == 0)
        {
            ThrowIfInvalid(options);
            return options;
        }
        var copy = options;
        foreach (DictionaryEntry entry in extra)
        {
            var name = entry.Key?.ToString() ?? "";
            var setting = TrainingSettingsCatalog.Find(name);
            if (setting is null || !setting.IsOptionsKey)
            {
                throw new MnistCnnException(CmdletErrorIds.UnknownTrainingOption, ErrorKind.InvalidArgument,
                    $"'{name}' is not a training option. Known options: {string.Join(", ", TrainingSettingsCatalog.OptionsKeys)}.", name);
            }
            try
            {
                object? value = entry.Value is null
                    ? (setting.ValueType.IsValueType && !setting.Nullable ? Activator.CreateInstance(setting.ValueType) : null)
                    : LanguagePrimitives.ConvertTo(entry.Value, setting.ValueType, CultureInfo.InvariantCulture);
                copy = setting.With(copy, value);
            }
            catch (PSInvalidCastException ex)
            {
                throw new MnistCnnException(CmdletErrorIds.InvalidTrainingOption, ErrorKind.InvalidArgument,
                    $"Training option '{setting.Name}' cannot be '{entry.Value}': {ex.Message}", setting.Name, ex);
            }
        }
        ThrowIfInvalid(copy);
        return copy;
    }

    /// <summary>Refuses options that break the catalog's rules, naming each setting as the user set it: <c>-Epochs</c> or <c>-Options Rho</c>.</summary>
    private static void ThrowIfInvalid(TrainingOptions options)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new MnistCnnException(TrainingErrorIds.TrainingOptionsInvalid, ErrorKind.InvalidArgument,
                "Invalid training options: " + string.Join(" ", problems.Select(p => p.Describe(ParameterName))), problems[0].Setting.Name);
        }
    }

    /// <summary>How a user of Start-CnnTraining sets <paramref name="setting"/>.</summary>
    internal static string ParameterName(TrainingSetting setting) => setting.Parameter switch
    {
        "Augment" => "-Options Augmentation",
        { } p => "-" + p,
        null => "-Options " + setting.Name,
    };
}
