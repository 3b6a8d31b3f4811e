namespace Microsoft.ML.Lora;

/// <summary>The nonlinearity between the down- and up-projection of a bottleneck adapter.</summary>
public enum AdapterActivation
{
    /// <summary>GELU (erf form), as Houlsby et al.'s adapter-bert. The default.</summary>
    Gelu,
    /// <summary>ReLU, as Pfeiffer et al.'s adapters and many reimplementations.</summary>
    Relu,
}
