using System.Globalization;

namespace Samples.Common;

/// <summary>
/// The one line a sample ends with, for scripts and tests: <c>RESULT name=value name=value ...</c>, invariant culture,
/// names without spaces.
/// </summary>
public static class ResultLine
{
    /// <summary>The prefix that starts the line.</summary>
    public const string Prefix = "RESULT";

    /// <summary>Formats the line; doubles with four decimals unless they are whole numbers of seconds etc. passed as long.</summary>
    public static string Format(params (string Name, object Value)[] values)
        => Prefix + string.Concat(values.Select(v => " " + v.Name + "=" + v.Value switch
        {
            double d => d.ToString("F4", CultureInfo.InvariantCulture),
            float f => f.ToString("F4", CultureInfo.InvariantCulture),
            IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
            var o => o.ToString(),
        }));

    /// <summary>Reads a line written by <see cref="Format"/>; null when <paramref name="line"/> is not one.</summary>
    public static IReadOnlyDictionary<string, string>? Parse(string line)
    {
        var parts = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts[0] != Prefix) return null;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in parts.Skip(1))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) return null;
            result[part[..eq]] = part[(eq + 1)..];
        }
        return result;
    }
}
