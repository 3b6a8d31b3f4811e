using System.Globalization;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// Range checks for option values, with messages that name the option, the allowed range and the value given. Doubles
/// must be finite: NaN passes every "&lt;" test and +∞ every "&gt;" test, so each bound is written to refuse them.
/// </summary>
internal static class OptionChecks
{
    /// <summary>The largest batch accepted: far beyond any that fits in memory, small enough that step arithmetic cannot overflow.</summary>
    public const int MaxBatchSize = 1 << 20;

    public static void InRange(int value, int min, int max, string name)
    {
        if (value < min || value > max)
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture,
                $"{name} must be {(max == int.MaxValue ? $"at least {min}" : $"between {min} and {max}")}, got {value}."));
    }

    /// <summary><paramref name="value"/> must be finite and in [<paramref name="min"/>, <paramref name="max"/>] (or (min, max] when <paramref name="minExclusive"/>).</summary>
    public static void InRange(double value, double min, double max, string name, bool minExclusive = false)
    {
        bool ok = double.IsFinite(value) && (minExclusive ? value > min : value >= min) && value <= max;
        if (!ok)
        {
            string range = double.IsPositiveInfinity(max)
                ? (minExclusive ? $"a finite number above {min}" : $"a finite number of at least {min}")
                : $"in {(minExclusive ? "(" : "[")}{min}, {max}]";
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"{name} must be {range}, got {value}."));
        }
    }

    public static void ColumnName(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"{name} must be a column name, got '{value}'.", name);
    }

    /// <summary>A folder option: not blank, and a path this platform can represent.</summary>
    public static void FolderPath(string? value, string name)
    {
        if (value is null) return;
        if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"{name} must be a folder path or null, got '{value}'.", name);
        try { _ = Path.GetFullPath(value); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"{name} '{value}' is not a valid path: {e.Message}", name, e);
        }
        if (File.Exists(value)) throw new ArgumentException($"{name} '{value}' is a file; it must name a folder.", name);
    }
}
