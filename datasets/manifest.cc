// The dataset files gemmeter evaluates on, with their SHA-256 digests: the copies in the
// shared data directory (MMLU rebuilt from cais/mmlu, PIQA the authors' files, HellaSwag
// llama.cpp's six-line text). A task checks its files against this list before it loads
// them, so a changed, truncated or different file is caught before any number is computed.
#include "datasets/manifest.h"

#include <filesystem>

#include "engine/core/error.h"
#include "engine/io/digest.h"

namespace gemmeter::datasets {
namespace {

// Paths relative to the data directory; digests as `sha256sum` prints them.
constexpr DatasetFile kFiles[] = {
    {"hellaswag", "hellaswag/hellaswag_val_full.txt.gz", "8a5e3d39844938323f7a3d2b1e0c6162faf3f3f35396ccd67324aa2f4cae5a7b"},
    {"mmlu", "mmlu/dev/abstract_algebra_dev.csv", "bd8c73f3c75bea9db82d281d9da6949cea687b987dba24a142c638e758046624"},
    {"mmlu", "mmlu/dev/anatomy_dev.csv", "0985685cf5ab13ccc1629f03a1308a9add8767582ffeb195b68b18c3415c9993"},
    {"mmlu", "mmlu/dev/astronomy_dev.csv", "bb03eca519a3fbc04017dc4783635763ac928f0811ce6243dbcbf0d526dbe1e3"},
    {"mmlu", "mmlu/dev/business_ethics_dev.csv", "7cd487e4ba7d9fe423bcc259ad852e963dc370629b8d61881b61ed0ae84c0b46"},
    {"mmlu", "mmlu/dev/clinical_knowledge_dev.csv", "30f851e53e0aa03178f705195450929ac6030c6bf629457f4ca250aff7515b65"},
    {"mmlu", "mmlu/dev/college_biology_dev.csv", "31f4ae0707ba3f742e0d5546ff970949be8a05e217921fe87b1814d6a0ab8184"},
    {"mmlu", "mmlu/dev/college_chemistry_dev.csv", "9ba27ba571b8ad40d35a2a88a60acf434ca5f37962c2eba8f9d0aa89edb4c1c7"},
    {"mmlu", "mmlu/dev/college_computer_science_dev.csv", "fc1a43187cd68390d663e0a1849688b13a4cd75ab17616558f4e584a4a8ae2bd"},
    {"mmlu", "mmlu/dev/college_mathematics_dev.csv", "27731ee1402e720ee01ad6fa6a969a0d0978a0e9b4c385d328a61869a43f321f"},
    {"mmlu", "mmlu/dev/college_medicine_dev.csv", "63928a944fda769d7e52a3a4549d4f37f094896e65e7db35029261e1ae79909b"},
    {"mmlu", "mmlu/dev/college_physics_dev.csv", "6e043d6c566091c5ad1d8bc1d002900e1aa0bff114f98d5e3f2e4f645efce100"},
    {"mmlu", "mmlu/dev/computer_security_dev.csv", "09e276300dbd2d07906dbe4ff82aabf45b9765f933eb7d0f35ea3ea97dee8020"},
    {"mmlu", "mmlu/dev/conceptual_physics_dev.csv", "5e65be1f6fdd82f4887e3747af790a747191b1b732dd2bea76306388d5ee3719"},
    {"mmlu", "mmlu/dev/econometrics_dev.csv", "7a01a925199c246decd0f1fc7a1b8dc28136b19d793e5b1e0d97142c118a2940"},
    {"mmlu", "mmlu/dev/electrical_engineering_dev.csv", "5aad11b1d1c8dc1a431c3e79a047cba56d691a60403ddffaf5fbd45e9c82bc0d"},
    {"mmlu", "mmlu/dev/elementary_mathematics_dev.csv", "9aca9cd215b7c170020fd5f7db1c9c3d5cbf6df9ee7b970a4810649a87245011"},
    {"mmlu", "mmlu/dev/formal_logic_dev.csv", "e4b579358ed4878f6c91bfea0ccc51efdd15a28401f86da9ee8f6c0af37cf36d"},
    {"mmlu", "mmlu/dev/global_facts_dev.csv", "ed0f3baddb866f4b1e1b4b400ef8c3c4deea717b1e72bb486a7ceab107425be8"},
    {"mmlu", "mmlu/dev/high_school_biology_dev.csv", "6a200085c150794846d4bab43bb0e22ceec9f99576dfc25f5c5d8faa9595ae13"},
    {"mmlu", "mmlu/dev/high_school_chemistry_dev.csv", "1ba44aeea98ca22342b6525a3a9ebb62003b2a8289fa42d7c844e2139557ec5b"},
    {"mmlu", "mmlu/dev/high_school_computer_science_dev.csv", "5de3800dfbbfaa89050413a765deaf774fdb0611e370951383fb50fac774663e"},
    {"mmlu", "mmlu/dev/high_school_european_history_dev.csv", "a3677065cf51abc32901cdcf88ed64121f5595e3a5a67f86ae2570f866fe87c5"},
    {"mmlu", "mmlu/dev/high_school_geography_dev.csv", "e43fc27b9fa8b808773a2871007b39e012a1cc1ec902f85d85cc9c27cc12883d"},
    {"mmlu", "mmlu/dev/high_school_government_and_politics_dev.csv", "daf013a3eae04b5904e6a706cf0574df2c881e00d46a979cb34c6e2968ad1c90"},
    {"mmlu", "mmlu/dev/high_school_macroeconomics_dev.csv", "23ed995071c47e627c4e6adbce63a9144920441abb7e69f8b4dfac5fdc4e402d"},
    {"mmlu", "mmlu/dev/high_school_mathematics_dev.csv", "d7401d5cbad5ae697bfa480e35d85de8ebf1232589a3c59b010782ee49cbe18c"},
    {"mmlu", "mmlu/dev/high_school_microeconomics_dev.csv", "a409b422561f1fb02e6d1bc044657cfff7779b13146edfd937d2573423c2c49b"},
    {"mmlu", "mmlu/dev/high_school_physics_dev.csv", "f676d5e2ef902a496784ee14a7110e9e09471985c60f11dfa0d6005cff73ef2e"},
    {"mmlu", "mmlu/dev/high_school_psychology_dev.csv", "aa1937558356d5e0dfc19a61791daf3519fc9772b57ac1f5f40868175bf3ace5"},
    {"mmlu", "mmlu/dev/high_school_statistics_dev.csv", "716804789456b88d5ae3868b6201fde4a8a3066e17ef51e9f095015f1e46a7f3"},
    {"mmlu", "mmlu/dev/high_school_us_history_dev.csv", "028b3c81c7be1138ad50b4afa1835773788e4557426a40abfaf132b11edab541"},
    {"mmlu", "mmlu/dev/high_school_world_history_dev.csv", "b6e87a14718b0415241dfe10dd86605de5b6e5995fa57580e9e2d7c56fe147a1"},
    {"mmlu", "mmlu/dev/human_aging_dev.csv", "18f2a8dbce8f2f868fddd0d1b52ec4a0c3b3a4c8bebfe16dcbf1c72b257516c9"},
    {"mmlu", "mmlu/dev/human_sexuality_dev.csv", "0da7f8f7aeb6d5a08f0413489aa5d5b84ff8ac971952ea66242762f779cb6794"},
    {"mmlu", "mmlu/dev/international_law_dev.csv", "6f7f1c0191c0bcfe195d0ed39942a605012967a04d855c6482dc7e7a9f95e4d8"},
    {"mmlu", "mmlu/dev/jurisprudence_dev.csv", "27533d974102031088bc5c47fc008538ab3d08ca75e127fb64ff04cdd1562da2"},
    {"mmlu", "mmlu/dev/logical_fallacies_dev.csv", "4de026c2d116c381dcc1b65e91a28ba3d124398f920b0f3904ec5b641deb28f4"},
    {"mmlu", "mmlu/dev/machine_learning_dev.csv", "b785b8cb10376b45c2ec4d76b474e602ee6019fb4524a8e041b5c36f1dd70f5f"},
    {"mmlu", "mmlu/dev/management_dev.csv", "f75224958ab245d86c335d6886f8689247a9f83691ad63bb7ef3196641be9e52"},
    {"mmlu", "mmlu/dev/marketing_dev.csv", "15b3cf450ebc11e122886a5bad41e78260228259fa184eaa4ba566bdf37f0315"},
    {"mmlu", "mmlu/dev/medical_genetics_dev.csv", "70cd9ff940bef360693eeb4e05b5b8e53ad75a81d6b74a784222d4cae6dcb896"},
    {"mmlu", "mmlu/dev/miscellaneous_dev.csv", "72f74676c37fe477720d8b55e84517bd21daf1fe24f99dd33f1b0a636d31782e"},
    {"mmlu", "mmlu/dev/moral_disputes_dev.csv", "35ef4d90a4aa55bb5e708dcd233997449259259f1ba5872db36b35bf4b93a90e"},
    {"mmlu", "mmlu/dev/moral_scenarios_dev.csv", "8f9133f2e0b2a1896af3c739011fa95e34fa1eead3733581cda8f7cac6b409e1"},
    {"mmlu", "mmlu/dev/nutrition_dev.csv", "e686b5bde9db63aba83330ef93b8685b18240582eabb5078338d44a801b0c87f"},
    {"mmlu", "mmlu/dev/philosophy_dev.csv", "587be220837bbe089702aa27cda03fbf72a7b959a9a4425e70d598026614cf11"},
    {"mmlu", "mmlu/dev/prehistory_dev.csv", "fd6574b8bad497cdf4268274b02c7cdc9b65e4073cdc8a3d374967e4f89287a0"},
    {"mmlu", "mmlu/dev/professional_accounting_dev.csv", "efc070ed71676829c67497542e3571f50a868036a17f93d00a56a4f85767ae0d"},
    {"mmlu", "mmlu/dev/professional_law_dev.csv", "15d8589900ccf4725e1bad17837d48cc18c8bf033cd9b5d6bacf28a2a8f1064f"},
    {"mmlu", "mmlu/dev/professional_medicine_dev.csv", "486456d578890d4700dd8044ac236c8ac2ee3389e35fc81ac37529f4f4487785"},
    {"mmlu", "mmlu/dev/professional_psychology_dev.csv", "222e690db42dfb217a7c56a6ac693b73cf0168e344d75f28618c62ad9d2c0261"},
    {"mmlu", "mmlu/dev/public_relations_dev.csv", "8895f665f4c696ae76d34210546d0ab4b21b79d2fd8534cd2e8002e8ed0969dc"},
    {"mmlu", "mmlu/dev/security_studies_dev.csv", "9b30f7e622250c2c0e5acc6f2cb73c13898e2d2791083f91cb7f8bc528b29281"},
    {"mmlu", "mmlu/dev/sociology_dev.csv", "2e2bb34b4cabdc50e2c43097d1cfe91560224f9e1224adc19a01e922d1c49414"},
    {"mmlu", "mmlu/dev/us_foreign_policy_dev.csv", "3a9677a89fd67c3a891671a2a6a14ff69ab37bdd54fb687c2f8334c8a3fa1543"},
    {"mmlu", "mmlu/dev/virology_dev.csv", "ff9e424e35b6bdd399cfeeca8b1d3de116079afb74acc786bdf9adc65090cabf"},
    {"mmlu", "mmlu/dev/world_religions_dev.csv", "0d82b3905a08eaa97f9fa069bf2ec4720eb4e2ed875a226e7d00786688caa32d"},
    {"mmlu", "mmlu/test/abstract_algebra_test.csv", "4be89c0fb1d2419722e88880f6da3da95750367185ecd36f6492a6f74785cf64"},
    {"mmlu", "mmlu/test/anatomy_test.csv", "966dfd5c4579885ebdb8c05d6754ae5834f672632586d8595be3c0f9360e6f4e"},
    {"mmlu", "mmlu/test/astronomy_test.csv", "87c9c3cb5a55395c70dd9ed521dd7d2629fd4ff236c5ab647102e007f52a9341"},
    {"mmlu", "mmlu/test/business_ethics_test.csv", "cd3fc3a85a34cb17e6c5b2fb68ea61e7800b31120d92934019f1e17f4832fbd4"},
    {"mmlu", "mmlu/test/clinical_knowledge_test.csv", "134f919bb28f3cad6789078ede5fbce8c8aebf563747675c855420786f88157b"},
    {"mmlu", "mmlu/test/college_biology_test.csv", "e1204cb9d19887ea266145f038b5d4cc1fbc33d7efce186259c4ecca1cbe3119"},
    {"mmlu", "mmlu/test/college_chemistry_test.csv", "4d61d7887f845b887c52ac928b6dffdcf2468d79f3d0fbb4d1731092a51d2552"},
    {"mmlu", "mmlu/test/college_computer_science_test.csv", "d53a1d0d1c4362dacf92a4ff1d6a755beb5a87f24a7301c3c4391fcacc6530b4"},
    {"mmlu", "mmlu/test/college_mathematics_test.csv", "8b5bef14d4209c7918eaf947e4f12a5ae9470567722d8ba9761302d733e8ac71"},
    {"mmlu", "mmlu/test/college_medicine_test.csv", "9c533cfff89edaa317b2e79bbabcdd5e2e522e019679cb4a6475e5f2a1861b1e"},
    {"mmlu", "mmlu/test/college_physics_test.csv", "079c3696eda22c13b0472de245c7bb4918315b59481964109a4f65d2a35b4243"},
    {"mmlu", "mmlu/test/computer_security_test.csv", "8e40f809858db9dd8585036b53984e570b6101f72be2214b85e979c7fafa307f"},
    {"mmlu", "mmlu/test/conceptual_physics_test.csv", "7b39a241bb20424fd2a4e0e37ce05d94865ffc44191d8be4063be0e973312256"},
    {"mmlu", "mmlu/test/econometrics_test.csv", "10eb6b2d3a519a463872ef75902991b51ebf45865b29888e86d40228ace24029"},
    {"mmlu", "mmlu/test/electrical_engineering_test.csv", "8b0d747a97cb2cbbd8926c8deb2cda6073da6d5d3cc099693aa7761be938f5e4"},
    {"mmlu", "mmlu/test/elementary_mathematics_test.csv", "4fed12775c545cef5e63911459808a528c451a9cb4ebb6855a2856aba8c5976e"},
    {"mmlu", "mmlu/test/formal_logic_test.csv", "bc2dc7373a664ae72e166dcbe3f7aaf1bb65b99f106f1831f335c53467f35248"},
    {"mmlu", "mmlu/test/global_facts_test.csv", "74aeb1bd5df7ea0dccf0df1494c27c1696a37c087b58b1df8afb383af9f98bf8"},
    {"mmlu", "mmlu/test/high_school_biology_test.csv", "cfaba2b58b9714d2a6983a90bce17f14cc44cfc8195b20f8f65fef70d21331b9"},
    {"mmlu", "mmlu/test/high_school_chemistry_test.csv", "489a59ae8acf88fe990c8d93fb842076984a38bf1ac3b385a5c26a7fbab88f91"},
    {"mmlu", "mmlu/test/high_school_computer_science_test.csv", "63806168fb0e5a72fe5bfb880f19816d8997e28d3f312c6b1831f4d40f432059"},
    {"mmlu", "mmlu/test/high_school_european_history_test.csv", "09983655452c3c40ba466050ec82252f02a235e5946734f4d73b73688fc9509b"},
    {"mmlu", "mmlu/test/high_school_geography_test.csv", "640040727498dcc16391924c28aacf1431eb6af0806d020e9a9483aba0f62a86"},
    {"mmlu", "mmlu/test/high_school_government_and_politics_test.csv", "fbd7a89eb2c7806097e18b40950e44e0580e6f97cd151f01a216bb575c2d7903"},
    {"mmlu", "mmlu/test/high_school_macroeconomics_test.csv", "b25ae1f930d84aba999f85664b343f14be9c1f049770c4044a74fab4bd752419"},
    {"mmlu", "mmlu/test/high_school_mathematics_test.csv", "fe8f7a154834bba30947401ba37ea6c7afdcfba82ddc341c79b5d3016991d290"},
    {"mmlu", "mmlu/test/high_school_microeconomics_test.csv", "a250cc4976654e479cecdb7b66046ce2412df3e5e1b9c3d145ed344eae9a2256"},
    {"mmlu", "mmlu/test/high_school_physics_test.csv", "bc6aed09031156a97cd5a082ed6c9cd157196153a2bf1f3252457ae917317281"},
    {"mmlu", "mmlu/test/high_school_psychology_test.csv", "88c33b6b0ade567d07b8b5b074effdb52f31d773541fd71e86cb0d85a8daf7bf"},
    {"mmlu", "mmlu/test/high_school_statistics_test.csv", "d62843d2fd084d6af1c8a0a6491d0aa642c34a7a68476605b9b3db5841e63d3f"},
    {"mmlu", "mmlu/test/high_school_us_history_test.csv", "0338dea3b11881be53c2208ae8dbb571c792c0dca6f0b36a352147c0be81625e"},
    {"mmlu", "mmlu/test/high_school_world_history_test.csv", "7787343ae18e4e1ef833c8630c0c914c62f42c2f35d8b90f4bec2eecccfc161e"},
    {"mmlu", "mmlu/test/human_aging_test.csv", "01299d7e0ae4a8d082daeecc140445ce7393b464040bd810b0a60a370ae5502e"},
    {"mmlu", "mmlu/test/human_sexuality_test.csv", "bad5d34f1a7d3c7ee2426b7842dc2e1acc9bd26d062d6d308025e02598d68a53"},
    {"mmlu", "mmlu/test/international_law_test.csv", "51b3a6d74cc84651b2355d2823c30d993015ddfe8ef39725da4e0442f29489fc"},
    {"mmlu", "mmlu/test/jurisprudence_test.csv", "bf7a770aebfbdb181abc2c26ffd7a01ab31f93c7e2dfe6924c57c7bca4a0dff6"},
    {"mmlu", "mmlu/test/logical_fallacies_test.csv", "3fe8b48c74832525556455d49960cc0c3cff37496783348043ff69a1863c2244"},
    {"mmlu", "mmlu/test/machine_learning_test.csv", "b1ba675ebf64d9435eb0af2a3bbba2d2ab1990063dab9eb26729d42f7dc3f3d5"},
    {"mmlu", "mmlu/test/management_test.csv", "4a535a11bb480a09a302e86d157ae2d33e054cfa00e4265fe300a9408b87ec6b"},
    {"mmlu", "mmlu/test/marketing_test.csv", "ecf0ae0ae906194d033ca7d7746eaf201232eccb78ee24147e737473f751233d"},
    {"mmlu", "mmlu/test/medical_genetics_test.csv", "b953f1682a60dae3759f7f4a8285bad61ee5733586eacb6624919cb0bf2317ef"},
    {"mmlu", "mmlu/test/miscellaneous_test.csv", "6789731d4e22d61f9f81d0916cc75cc551e0186d700f86b2623297c43d3ab646"},
    {"mmlu", "mmlu/test/moral_disputes_test.csv", "673f5e9054f55fc5e165a3ed01e1b13eb1ee5a3405055818b50532e05de9bfdd"},
    {"mmlu", "mmlu/test/moral_scenarios_test.csv", "96d8b5c6758022ac6dd63800734f1692343e5b984537e823fa1d176a9c7a5fa3"},
    {"mmlu", "mmlu/test/nutrition_test.csv", "b94dfe54f9a7d5971d44b40815814473c218fade4340558bc905eb93c3320ba9"},
    {"mmlu", "mmlu/test/philosophy_test.csv", "a0f0c6fc9e4f08c04ff3a339996c4ed688a9fbe75d205fff4b9d3549fb49fa1e"},
    {"mmlu", "mmlu/test/prehistory_test.csv", "8d44938332ea3d199cfa51a18ef69af972aa33ca4af7b5f5bc62e768a31f949a"},
    {"mmlu", "mmlu/test/professional_accounting_test.csv", "2d2f281b3d2834fd8ba7cfcba346630529765e33e40b3a045e4697b028ef01be"},
    {"mmlu", "mmlu/test/professional_law_test.csv", "6b123327d1f19b7e4c9d4ccc46cafe90ca2b9e9e6a486a77f7c573c05ce2be3a"},
    {"mmlu", "mmlu/test/professional_medicine_test.csv", "de74741286a585420a428590806e43dc7933cca559eb4be296759a501bfcc159"},
    {"mmlu", "mmlu/test/professional_psychology_test.csv", "8e4e3d2cf9b94cde0477b564410eddf769a739ac9a0e739ca1921b42e5066d0b"},
    {"mmlu", "mmlu/test/public_relations_test.csv", "832bae498e20d2e23cb95bf6563ac2f2353f47bfd40ec0ba312160234a5dc3d3"},
    {"mmlu", "mmlu/test/security_studies_test.csv", "ab7634702670ee0d5e98b852f5bcfad2821ff9a2e909d223de05422c948f6638"},
    {"mmlu", "mmlu/test/sociology_test.csv", "f6c464600032aa2bb53294ad53217fbb650601eee206af947b3ce4c587ff5bed"},
    {"mmlu", "mmlu/test/us_foreign_policy_test.csv", "2821ee009a2b1b7d4adc5a212a0bad7fe05d377455de0fe0841beab8f00142e1"},
    {"mmlu", "mmlu/test/virology_test.csv", "4355b9d79142da0e44a767a495a277733fd89ad67236cbbe3f42ff3a6d46b483"},
    {"mmlu", "mmlu/test/world_religions_test.csv", "3be96b2465419289c4fe0c8a0d003003facd243c8982c6daafc6ac90a40bd507"},
    {"piqa", "piqa/valid-labels.lst", "b4192dc3a2a0363d9d60ccf79800cbbe2f32ebb17726efdde6970e0b8131bceb"},
    {"piqa", "piqa/valid.jsonl", "93503cc97c679e459b065c3d13e848282e44b2a25213985bed3e5d458abef72d"},
};

}  // namespace

std::span<const DatasetFile> ManifestFiles() { return kFiles; }

std::vector<FileDigest> VerifyDataset(const std::string& root, std::string_view dataset) {
  namespace fs = std::filesystem;
  std::vector<FileDigest> digests;
  for (const DatasetFile& f : kFiles) {
    if (f.dataset != dataset) continue;
    const std::string path = (fs::path(root) / f.path).string();
    if (!fs::is_regular_file(path)) {
      Fail("{}: missing ({} needs it; the data directory is {})", path, dataset, root);
    }
    const std::string digest = Sha256File(path);
    if (digest != f.sha256) {
      Fail("{}: sha256 {} differs from the manifest's {} (a changed or different copy of {})",
           path, digest, f.sha256, dataset);
    }
    digests.push_back({std::string(f.path), digest});
  }
  Check(!digests.empty(), "no manifest entries for dataset '{}'", dataset);
  return digests;
}

}  // namespace gemmeter::datasets
