using InferenceMesh.Contracts;

namespace InferenceMesh.ExtProc;

/// <summary>Where the picker finds InferenceModels and InferenceObjectives (options, the local pool file, or Kubernetes).</summary>
public interface IInferenceModelSource
{
    /// <summary>The InferenceModel whose ModelName (or resource Name) is <paramref name="name"/>, or null.</summary>
    InferenceModelSpec? Find(string name);

    /// <summary>The InferenceObjective of this picker's pool named <paramref name="name"/> (metadata.name), or null.</summary>
    InferenceObjectiveSpec? FindObjective(string name) => null;
}
