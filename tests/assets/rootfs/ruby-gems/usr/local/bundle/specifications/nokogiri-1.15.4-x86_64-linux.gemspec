# -*- encoding: utf-8 -*-
# stub: nokogiri 1.15.4 x86_64-linux lib

Gem::Specification.new do |s|
  s.name = "nokogiri".freeze
  s.version = "1.15.4"
  s.platform = "x86_64-linux".freeze
  s.licenses = ["MIT".freeze, "LGPL-2.1-or-later".freeze]
  s.specification_version = 4
  s.add_runtime_dependency(%q<racc>.freeze, ["~> 1.4"])
end
