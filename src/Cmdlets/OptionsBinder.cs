using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Reflection;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Training;

namespace MnistCnn.Cmdlets;

/// <summary>Applies a hashtable of extra settings to an immutable <see cref="TrainingOptions"/> by property name.</summary>
internal static class OptionsBinder
{
    public static TrainingOptions Apply(TrainingOptions options, Hashtable? extra)
    {
        if (extra is null || extra.Count == 0) return options;
        var copy = options with { };
        foreach (DictionaryEntry entry in extra)
        {
            var name = entry.Key?.ToString() ?? "";
            var property = typeof(TrainingOptions).GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite)
            {
                var known = typeof(TrainingOptions).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).Order(StringComparer.Ordinal);
                throw new MnistCnnException("UnknownTrainingOption", ErrorKind.InvalidArgument,
                    $"'{name}' is not a training option. Known options: {string.Join(", ", known)}.", name);
            }
            try
            {
                var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                object? value = entry.Value is null ? null : LanguagePrimitives.ConvertTo(entry.Value, type, CultureInfo.InvariantCulture);
                property.SetValue(copy, value);
            }
            catch (PSInvalidCastException ex)
            {
                throw new MnistCnnException("InvalidTrainingOption", ErrorKind.InvalidArgument,
                    $"Training option '{property.Name}' cannot be '{entry.Value}': {ex.Message}", property.Name, ex);
            }
        }
        var problems = copy.Validate();
        if (problems.Count > 0)
        {
            throw new MnistCnnException("TrainingOptionsInvalid", ErrorKind.InvalidArgument, "Invalid training options: " + string.Join(" ", problems));
        }
        return copy;
    }
}
