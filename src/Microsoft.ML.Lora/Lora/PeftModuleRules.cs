using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Lora.Lora;

/// <summary>
/// PEFT's rules for which modules a LoRA config names, on module names as PEFT sees them (the Hugging Face model's
/// <c>named_modules()</c>), transcribed from huggingface/peft 0.20: <c>tuners_utils.check_target_module_exists</c> (targets,
/// <c>exclude_modules</c>, <c>modules_to_save</c> exclusion, <c>layers_to_transform</c> / <c>layers_pattern</c>),
/// <c>other._set_trainable</c> (which modules <c>modules_to_save</c> selects) and <c>other.get_pattern_key</c> (rank and alpha
/// patterns). Patterns are PEFT's Python regular expressions; the common syntax is the same in .NET.
/// </summary>
internal static class PeftModuleRules
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(2);
    private static readonly ConcurrentDictionary<string, Regex> Compiled = new(StringComparer.Ordinal);

    /// <summary>List form of <c>target_modules</c> / <c>exclude_modules</c>: the name itself or a suffix after a dot.</summary>
    public static bool MatchesNameList(IEnumerable<string> names, string key)
        => names.Any(n => key == n || key.EndsWith("." + n, StringComparison.Ordinal));

    /// <summary>True when <paramref name="key"/> is itself one of <paramref name="names"/> (PEFT then skips the layer check).</summary>
    public static bool IsExactName(IEnumerable<string> names, string key) => names.Contains(key, StringComparer.Ordinal);

    /// <summary>String form of <c>target_modules</c> / <c>exclude_modules</c>: <c>re.fullmatch(pattern, key)</c>.</summary>
    public static bool FullMatch(string pattern, string key) => Regex(@"\A(?:" + pattern + @")\z").IsMatch(key);

    /// <summary>
    /// LoRA is never put inside a module of <c>modules_to_save</c>: <c>re.match(rf"(^|.*\.){m}($|\..*)", key)</c> for any entry
    /// (the entry is a regular expression there, unescaped).
    /// </summary>
    public static bool InsideModuleToSave(IEnumerable<string> modulesToSave, string key)
        => modulesToSave.Any(m => Regex(@"\A(?:.*\.)?(?:" + m + @")(?:\z|\..*)").IsMatch(key));

    /// <summary>The modules <c>modules_to_save</c> trains and saves: every module whose name ends with an entry (a plain string suffix).</summary>
    public static bool IsModuleToSave(IEnumerable<string> modulesToSave, string key)
        => modulesToSave.Any(m => key.EndsWith(m, StringComparison.Ordinal));

    /// <summary>
    /// The layer index <c>layers_to_transform</c> tests: the first number between dots after a named segment
    /// (<c>.*?\.[^.]*\.(\d+)\.</c>), or the one after one of <paramref name="layersPattern"/> (<c>.*?\.{pattern}\.(\d+)\.</c>);
    /// null when the name has none.
    /// </summary>
    public static long? LayerIndex(string key, IReadOnlyList<string>? layersPattern)
    {
        var patterns = layersPattern is { Count: > 0 } ? layersPattern.Select(p => @"\A.*?\." + p + @"\.(\d+)\.") : new[] { @"\A.*?\.[^.]*\.(\d+)\." };
        foreach (var pattern in patterns)
        {
            var m = Regex(pattern).Match(key);
            if (m.Success) return long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long index) ? index : long.MaxValue;
        }
        return null;
    }

    /// <summary><c>get_pattern_key</c>: the first key, in order, with <c>re.match(rf"(.*\.)?({k})$", key)</c>; null when none matches.</summary>
    public static string? PatternKey(IEnumerable<string> keys, string key)
        => keys.FirstOrDefault(k => Regex(@"\A(?:.*\.)?(?:" + k + @")\z").IsMatch(key));

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="what"/> when <paramref name="pattern"/> is not a regular expression.</summary>
    public static void CheckPattern(string pattern, string what)
    {
        try { _ = Regex(@"\A(?:" + pattern + @")\z"); }
        catch (ArgumentException e) { throw new ArgumentException($"{what} '{pattern}' is not a valid regular expression: {e.Message}", what, e); }
    }

    private static Regex Regex(string pattern)
        => Compiled.GetOrAdd(pattern, p => new Regex(p, RegexOptions.CultureInvariant, MatchTimeout));
}
