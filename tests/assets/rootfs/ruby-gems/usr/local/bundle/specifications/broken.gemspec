Gem::Specification.new do |s|
  s.summary = "lost its name"
end
