#: expect passed
def café(x):
    return x * 2


λ = "αβγ"
assert café("é") == "éé"
assert len(λ) == 3 and λ.upper() == "ΑΒΓ"
print("naïve ☃ 𝄞")
