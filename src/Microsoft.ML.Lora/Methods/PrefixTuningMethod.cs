using System.Text.Json.Nodes;

namespace Microsoft.ML.Lora.Methods;

/// <summary>Placeholder until prefix tuning lands (issue 7).</summary>
internal static class PrefixTuningMethod
{
    public static FineTuningMethod? TryFromJson(string kind, JsonObject json) => null;
}
