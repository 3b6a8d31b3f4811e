using System.Text.Json.Nodes;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>Reading a task's stored settings, with errors that name the entry and the key.</summary>
internal static class JsonSettings
{
    /// <summary>The value of <paramref name="key"/>; throws naming <paramref name="source"/> when it is missing or of another type.</summary>
    public static T Required<T>(JsonObject settings, string key, string source)
    {
        try
        {
            if (settings[key] is JsonValue v) return v.GetValue<T>();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: task setting '{key}' is {settings[key]!.ToJsonString()}, expected a {typeof(T).Name}.", e);
        }
        throw new InvalidDataException($"{source}: task setting '{key}' is missing.");
    }

    /// <summary>The value of <paramref name="key"/>, or null when it is absent or null.</summary>
    public static string? Optional(JsonObject settings, string key) => settings[key] is JsonValue v ? v.GetValue<string>() : null;
}
